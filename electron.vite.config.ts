/**
 * One build for the three parts of the desktop app: Electron main (main/electron), the sandboxed
 * preload, and the renderer; the renderer build also emits `bridge.js`, which `serve` adds to
 * the page so the same renderer runs in a browser.
 */
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// The config bundler defines __dirname for ESM and CJS alike.
const root = __dirname;

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // koffi loads a native file at run time and must stay outside the bundle.
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: resolve(root, 'main/electron/index.ts') },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require nothing but 'electron': bundle everything else into it.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'preload/index.ts') },
        external: ['electron'],
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    base: './',
    plugins: [react({})],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      sourcemap: false,
      minify: true,
      rolldownOptions: {
        input: {
          index: resolve(root, 'renderer/index.html'),
          bridge: resolve(root, 'main/web/bridge.ts'),
        },
        output: {
          // `serve` refers to the bridge by a fixed name.
          entryFileNames: (chunk) =>
            chunk.name === 'bridge' ? 'bridge.js' : 'assets/[name]-[hash].js',
        },
      },
    },
  },
});

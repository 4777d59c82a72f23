/**
 * Renderer entry: the page finds `window.uvmLayers` (from the Electron preload, or from the
 * `serve` bridge loaded before this script), starts the replica and renders the app.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { AppProvider, createAppServices } from './app-context.js';
import { App } from './components/App.js';
import './styles.css';

const root = document.getElementById('root');
const api = window.uvmLayers;
if (!root) throw new Error('#root is missing');
if (!api) {
  root.textContent =
    'uvm-layers: no API in this page. Open it from the desktop app or the URL printed by `uvm-layers serve`.';
} else {
  const services = createAppServices(api);
  void services.sync.start();
  createRoot(root).render(
    <StrictMode>
      <AppProvider services={services}>
        <App />
      </AppProvider>
    </StrictMode>,
  );
}

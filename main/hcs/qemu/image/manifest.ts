/** What an image was built from; a build whose inputs match the manifest is skipped. */
import * as fs from 'node:fs/promises';

/** Bump when the image layout changes so existing images are rebuilt. */
export const IMAGE_FORMAT = 1;

export interface ImageInputs {
  format: number;
  kernelPackage: string;
  kernelPackageVersion: string;
  kernelRelease: string;
  busyboxVersion: string;
  agentSha256: string;
  initSha256: string;
  mke2fsSha256: string;
  /** The modules asked for (UVM_MODULES), space-separated; the resolved files are in `modules`. */
  requestedModules: string;
}

export interface ImageManifest extends ImageInputs {
  modules: string[];
  initrdBytes: number;
  builtAt: string;
}

export async function readManifest(file: string): Promise<ImageManifest | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as ImageManifest;
  } catch {
    return undefined;
  }
}

export function sameInputs(manifest: ImageManifest | undefined, inputs: ImageInputs): boolean {
  if (manifest === undefined) return false;
  return (Object.keys(inputs) as (keyof ImageInputs)[]).every(
    (key) => manifest[key] === inputs[key],
  );
}

/** Written through a temporary file and a rename so a reader never sees half a manifest. */
export async function writeManifest(file: string, manifest: ImageManifest): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await fs.rename(tmp, file);
}

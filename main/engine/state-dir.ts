/** Where state lives unless --state-dir or UVM_LAYERS_STATE_DIR says otherwise. */
import * as os from 'node:os';
import * as path from 'node:path';

/** The same app-data folder Electron uses, so the desktop app and the CLI share one store. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.UVM_LAYERS_STATE_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  return path.join(appDataDir(env), 'uvm-layers', 'state');
}

function appDataDir(env: NodeJS.ProcessEnv): string {
  const home = os.homedir();
  if (process.platform === 'win32') return env.APPDATA ?? path.join(home, 'AppData', 'Roaming');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support');
  return env.XDG_CONFIG_HOME ?? path.join(home, '.config');
}

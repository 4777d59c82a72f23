/** An engine error as the user sees it: message, code, HRESULT and each cause. */
import type { ErrorJson } from '../../../main/engine/errors.js';

export function ErrorText({ error, live = true }: { error: ErrorJson; live?: boolean }) {
  return (
    <div className="error-text" role={live ? 'alert' : undefined}>
      <strong>{error.message}</strong>
      <span className="error-code">
        {error.code}
        {error.hresult ? ` · HRESULT ${error.hresult}` : ''}
      </span>
      {error.causes && error.causes.length > 1 ? (
        <ul className="causes">
          {error.causes.map((cause, i) => (
            <li key={i}>
              {cause.message} <span className="error-code">{cause.code}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

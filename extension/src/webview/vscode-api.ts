/** The part of VS Code's webview API our scripts use (the tests install a stand-in with the same shape). */
export interface VsCodeApi {
  postMessage(message: unknown): void;
}

declare global {
  /** Provided by VS Code inside a webview; may be called once per page. */
  function acquireVsCodeApi(): VsCodeApi;
}

/** The page's API, typed for the messages this side may send. */
export function vscodeApi<T>(): { post(message: T): void } {
  const api = acquireVsCodeApi();
  return { post: (message) => api.postMessage(message) };
}

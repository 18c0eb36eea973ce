/**
 * A fresh nonce for one rendering of a webview's HTML: 128 random bits, base64url. Web Crypto is
 * global in Node 20 (the extension host) and in browsers alike.
 */
export function makeNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

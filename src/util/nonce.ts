/** A CSP nonce: `bytes` random bytes in base64 (Web Crypto, present in Node 20 and the web worker alike). */
export function nonce(bytes = 16): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...b));
}

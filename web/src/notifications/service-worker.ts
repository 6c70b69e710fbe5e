/**
 * Registers the service worker (/sw.js, built with the app: the offline shell, web push and its
 * clicks). Only in a production build: Vite's dev server has no worker, and a worker left over from
 * a build would serve that build's shell in development.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
    // Insecure origin, private mode or a blocked worker: the app works without it, online.
  });
}

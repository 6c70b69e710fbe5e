import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { serviceWorker } from './service-worker-build.ts';

const root = import.meta.dirname;
/** The Tidings server that `npm run dev` proxies API calls to. */
const target = process.env.TIDINGS_URL ?? `http://localhost:${process.env.PORT ?? 4000}`;

export default defineConfig({
  root,
  plugins: [react(), serviceWorker()],
  build: { outDir: path.join(root, 'dist'), emptyOutDir: true, sourcemap: true },
  server: {
    port: Number(process.env.WEB_PORT ?? 5173),
    // The browser sees one origin, as in production, so session cookies just work.
    proxy: Object.fromEntries(['/graphql', '/api', '/healthz', '/readyz'].map((prefix) => [prefix, { target }])),
  },
});

/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev` proxies /graphql to the gateway of `make dev` (or WEB_GATEWAY_URL), so the app
// always talks to its own origin, exactly as in production (serve.mjs or the Ingress).
const gateway = new URL(process.env.WEB_GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql');

export default defineConfig({
  plugins: [react()],
  build: {
    target: 'es2022',
    // Modern browsers only; the polyfill would add bytes to the first page.
    modulePreload: { polyfill: false },
    sourcemap: false,
    assetsInlineLimit: 0,
    // scripts/bundle-size.mjs reads it to know what each page loads.
    manifest: true,
    // ECharts is one lazy chunk of ~540 KB (≈178 KB gzipped), loaded only by pages with charts.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/graphql': { target: gateway.origin, changeOrigin: true } },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});

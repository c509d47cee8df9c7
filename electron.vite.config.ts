import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

// Three bundles. "main" holds every Node-side entry: the Electron main process, the backend
// entry that Electron starts as a utilityProcess, and the browser-mode server that runs the same
// backend in plain Node (that is how CI and machines without the Electron runtime use it).
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          backend: resolve('src/backend/entry/utility.ts'),
          serve: resolve('src/backend/entry/serve.ts'),
          probe: resolve('src/backend/entry/probe.ts'),
          verify: resolve('src/backend/entry/verify.ts'),
          sim: resolve('src/backend/entry/sim.ts'),
          receiver: resolve('src/receiver/main.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload may only require('electron'): bundle everything into one CommonJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
    },
  },
})

import { builtinModules } from 'node:module'
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

// DESIGN.md §2: who may import what. A wrong import fails `npm run lint` (test/unit/lint-rules.test.ts
// proves it).
const nodeBuiltins = ['node:*', ...builtinModules.filter((name) => !name.startsWith('_'))]
const noElectron = {
  group: ['electron', 'electron/*'],
  message: 'Only src/main and src/preload may use Electron.',
}
const noNode = {
  group: nodeBuiltins,
  message: 'This layer must run in a browser: no Node modules.',
}
const layer = (name, why) => ({ group: [`**/${name}`, `**/${name}/**`], message: why })

const restrict = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
})

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'bench/results/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/consistent-type-definitions': ['error', 'type'],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  { files: ['src/renderer/**'], languageOptions: { globals: { ...globals.browser } } },
  // Tools, tests and benchmarks talk to the terminal on purpose.
  {
    files: ['scripts/**', 'test/**', 'bench/**', 'src/sim/cli.ts'],
    rules: { 'no-console': 'off' },
  },
  restrict(
    ['src/shared/**'],
    [
      noElectron,
      noNode,
      { group: ['react', 'react-dom', 'zustand'], message: 'src/shared holds no UI code.' },
      layer('backend', 'src/shared may not import the backend.'),
      layer('renderer', 'src/shared may not import the renderer.'),
      layer('main', 'src/shared may not import the Electron main process.'),
      layer('sim', 'src/shared may not import the simulator.'),
    ],
  ),
  restrict(
    ['src/renderer/**'],
    [
      noElectron,
      noNode,
      layer('backend', 'The renderer reaches the backend only through the typed client.'),
      layer('main', 'The renderer may not import the Electron main process.'),
      layer('sim', 'The renderer may not import the simulator.'),
      layer('preload', 'The renderer uses window.pilotLight, never the preload module.'),
    ],
  ),
  restrict(
    ['src/backend/**'],
    [
      noElectron,
      layer('renderer', 'The backend may not import the renderer.'),
      layer('main', 'The backend may not import the Electron main process.'),
      layer('preload', 'The backend may not import the preload.'),
    ],
  ),
  restrict(
    ['src/main/**'],
    [
      layer('backend', 'Main starts the backend as a process; it does not import it.'),
      layer('renderer', 'Main may not import the renderer.'),
      layer('sim', 'Main may not import the simulator.'),
      layer('preload', 'Main may not import the preload.'),
    ],
  ),
  restrict(
    ['src/preload/**'],
    [
      noNode,
      layer('backend', 'The preload may not import the backend.'),
      layer('renderer', 'The preload may not import the renderer.'),
      layer('main', 'The preload may not import the main process.'),
      layer('sim', 'The preload may not import the simulator.'),
    ],
  ),
  restrict(
    ['src/sim/**'],
    [
      noElectron,
      layer('backend', 'The simulator is a separate plant: it may not import the console backend.'),
      layer('renderer', 'The simulator may not import the renderer.'),
      layer('main', 'The simulator may not import the Electron main process.'),
    ],
  ),
  restrict(
    ['src/receiver/**'],
    [
      noElectron,
      layer(
        'backend',
        'The reference receiver stands for the central system: it shares only the contract.',
      ),
      layer('renderer', 'The reference receiver may not import the renderer.'),
      layer('main', 'The reference receiver may not import the Electron main process.'),
      layer('sim', 'The reference receiver may not import the simulator.'),
    ],
  ),
)

import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import globals from 'globals'

export default [
  { ignores: ['dist/**'] },
  js.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: globals.browser },
    // The templates' layout, as the code writes it: lines up to 120 columns, wrapped by width rather than
    // one attribute a line; the first attribute beside its tag and the closing `>` after the last one;
    // text inline with its tags as in HTML prose; void elements closed `<input />`, others `<span></span>`.
    rules: {
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/first-attribute-linebreak': ['warn', { singleline: 'beside', multiline: 'beside' }],
      'vue/html-closing-bracket-newline': ['warn', { singleline: 'never', multiline: 'never' }],
      'vue/html-self-closing': ['warn', { html: { void: 'always', normal: 'never', component: 'always' }, svg: 'always', math: 'always' }],
    },
  },
  {
    files: ['*.config.js'],
    languageOptions: { globals: globals.node },
  },
]

module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // The page benchmark composes a backend with the kubevirt backend plugin, as
    // packages/backend does; this private package is never published or imported.
    '@backstage/no-mixed-plugin-imports': [
      'warn',
      { excludedTargetPackages: ['@vmportal/plugin-kubevirt-backend'] },
    ],
  },
});

// ESLint for the TypeScript sources: eslint's and typescript-eslint's recommended rules.
// Formatting is prettier's (.prettierrc.json); bin/lint runs both.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "artifacts/", "cache/", "build/", "contracts/generated/", "test/fixtures/", ".tools/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: "module" },
    rules: {
      // Unused values are already an error in tsc (noUnusedLocals); `_x` marks a deliberate one.
      // `[a, b] = f()` where only b is reassigned stays one statement.
      "prefer-const": ["error", { destructuring: "all" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
);

// `npm run lint`: typescript-eslint's type-checked recommended rules over every
// TypeScript file tsconfig.json covers. Plain JavaScript so ESLint loads it
// without a TypeScript loader.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", "node_modules/", ".cpuid-fleet/", "coverage/"] },
  js.configs.recommended,
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Unused parameters are allowed when `_`-prefixed (a callback's shape is
      // fixed by its caller).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
      // Not in recommended: `import type` wherever only types are used, and no
      // `import { type X }` that would keep an empty import at runtime.
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-import-type-side-effects": "error",
      // Every finding was a synchronous implementation of a Promise-returning
      // interface (Command.run, reconcile, stop), where `async` keeps a throw a
      // rejection; a forgotten await is no-floating-promises' job.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // Tests read untyped JSON (CLI output, NATS replies, CRD YAML) and check
    // its shape with expect matchers, which fail on a wrong shape; typing each
    // reply would only restate the schemas under test.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
);

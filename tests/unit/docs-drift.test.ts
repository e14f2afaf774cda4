import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../../scripts/gen-config-docs.js';
import { ERRORS_DOC, renderErrorsDoc, renderErrorTable } from '../../scripts/gen-error-docs.js';
import { CONFIG_VARIABLES } from '../../src/config.js';
import { ERROR_CODES } from '../../src/domain/errors.js';

/**
 * The configuration reference and the error-code table are generated from the code. When a
 * setting or a code is added, these fail until the generator is run again:
 * `npm run docs:config` and `npm run docs:errors`.
 */
describe('generated reference documents match the code', () => {
  it('docs/operations/configuration.md is what `npm run docs:config` writes', () => {
    const committed = readFileSync(CONFIGURATION_DOC, 'utf8');
    expect(committed, 'run `npm run docs:config` and commit the result').toBe(renderConfigurationDoc());
  });

  it('the configuration reference has a section per variable', () => {
    const rendered = renderConfigurationDoc();
    for (const name of Object.keys(CONFIG_VARIABLES)) expect(rendered).toContain(`### \`${name}\`\n`);
  });

  it('docs/api/errors.md holds the table `npm run docs:errors` writes', () => {
    const committed = readFileSync(ERRORS_DOC, 'utf8');
    const rendered = renderErrorsDoc(committed);
    expect(rendered, 'docs/api/errors.md has the error-codes markers').not.toBeNull();
    expect(committed, 'run `npm run docs:errors` and commit the result').toBe(rendered);
  });

  it('the error table has one row per code, with its HTTP status', () => {
    const rendered = renderErrorTable();
    for (const [code, { httpStatus }] of Object.entries(ERROR_CODES)) {
      expect(rendered).toContain(`| \`${code}\` | ${httpStatus} |`);
    }
  });
});

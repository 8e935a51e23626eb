/**
 * The settings that apply to a whole workflow (owner, timezone, trust domain): one change to
 * them changes every condition or every mesh identity of the workflow at once.
 */
import type { Workflow } from '../workflow/index.js';
import type { SettingChange } from './model.js';
import { settingWords } from './words.js';

/** None when the workflow came or went: that is said once, for the workflow. */
export function compareSettings(b: Workflow | undefined, h: Workflow | undefined): SettingChange[] {
  const settings: SettingChange[] = [];
  if (b && h) {
    for (const setting of ['owner', 'timezone', 'trustDomain'] as const) {
      if (b[setting] !== h[setting]) settings.push({ setting, before: b[setting], after: h[setting], text: settingWords(setting, b[setting], h[setting]) });
    }
  }
  return settings;
}

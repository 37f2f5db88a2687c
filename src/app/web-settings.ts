/**
 * Who may open the web view and where it is reached (README "Web view"), apart from
 * src/app/web.ts so that AppDeps can carry them without an import cycle (web.ts reads AppDeps).
 */

/** Who may look at the pages (WEB_ACCESS); `off` serves none of them. */
export type WebAccess = 'off' | 'links' | 'public';

export interface WebSettings {
  access: WebAccess;
  /** WEB_SECRET: signs links; required for `links`. */
  secret?: string;
  /** PUBLIC_URL: the base of absolute links (chat buttons, `roadmap link`). */
  publicUrl?: string;
}

/**
 * The Content-Security-Policy of every response (docs/accounts.md, "Content-Security-Policy"). The
 * web app is Vite's build: module scripts and stylesheets from our own origin, no inline script or
 * <style>; React's `style={{…}}` goes through the CSSOM, which CSP does not restrict. The favicon is
 * a data: URI, the .docx export a blob: download; tRPC calls and SSE streams are same-origin.
 */
export function contentSecurityPolicy(websiteUrl: string) {
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
      // Only over https: on a plain-http origin (pnpm dev, tests) it would send the app's own requests to https.
      upgradeInsecureRequests: websiteUrl.startsWith('https://') ? [] : null,
    },
  };
}

/**
 * Bull Board (/admin/queues, admins only) ships HTML with inline styles and Google Fonts; its pages
 * get this looser style policy, scripts stay same-origin only.
 */
export const ADMIN_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
  "font-src 'self' https://fonts.gstatic.com",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/**
 * Control and bidi characters in client-controlled and operator-named strings as visible escapes,
 * for the server (metrics labels) and the CLI (tables). The code is one plain-JavaScript module
 * that the dashboard's browser page imports too: src/admin/dashboard/escape-controls.js.
 */
export { CONTROLS, escapeControl, escapeControls } from './admin/dashboard/escape-controls.js';

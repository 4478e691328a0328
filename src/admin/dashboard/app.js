// @ts-check
/**
 * Synrouter dashboard: plain ES modules, no dependencies, no build step, no external resources
 * (src/admin/dashboard-assets.ts serves this folder's files from an allow-list). Talks to
 * /admin/api/* with the admin key (api.js). Views: #/overview, #/sessions, #/session?key=&id=,
 * #/keys (views/); charts in charts/; formatting (format.js) and escaping (escape-controls.js)
 * shared with the CLI.
 */
import { logOut } from './api.js';
import { byId } from './dom.js';
import { showLogin, startRouter } from './router.js';
import { keys } from './views/keys.js';
import { overview } from './views/overview.js';
import { session } from './views/session.js';
import { sessions } from './views/sessions.js';

byId('logout').addEventListener('click', () => {
  logOut();
  showLogin();
});
startRouter({ '/overview': overview, '/sessions': sessions, '/session': session, '/keys': keys }, '/overview');

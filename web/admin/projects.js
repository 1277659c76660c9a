// Project setup: the page is built by its owner; this stub draws the shell only.
import { startPage } from '../lib/shell.js';

const user = await startPage({ namespaces: ['admin-projects'], roles: ['admin'] });
if (user) document.querySelector('main').textContent = '';

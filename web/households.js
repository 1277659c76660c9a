// Household case files: the page is built by its owner; this stub draws the shell only.
import { startPage } from './lib/shell.js';

const user = await startPage({ namespaces: ['households'], roles: ['admin','leader','district_leader','member'] });
if (user) document.querySelector('main').textContent = '';

// Record a stage for many households: the page is built by its owner; this stub draws the shell only.
import { startPage } from './lib/shell.js';

const user = await startPage({ namespaces: ['stages'], roles: ['admin','leader','district_leader'] });
if (user) document.querySelector('main').textContent = '';

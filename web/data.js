// The data admin page: export buttons, the periodic report (period picker, HTML/XLSX/CSV) and
// a quick look at the period's figures. The import section belongs to data-import.js.
import { api } from './lib/api.js';
import { t, fmtNumber, lang } from './lib/i18n.js';
import { startPage } from './lib/shell.js';

const EXPORTS = [
  ['parcels', ['geojson', 'gpkg', 'csv', 'xlsx']],
  ['households', ['csv', 'xlsx']],
  ['visits', ['csv', 'xlsx']],
  ['grievances', ['csv', 'xlsx']],
];

const $ = (sel) => document.querySelector(sel);

function showMessage(text) {
  const el = $('#data-message');
  el.textContent = text;
  el.hidden = !text;
}

/** The period code the picker shows: 2021-Q1, 2021-H2 or 2021. */
function periodCode() {
  const kind = $('#period-kind').value;
  const year = $('#period-year').value;
  return kind === 'Y' ? `${year}` : `${year}-${$('#period-part').value}`;
}

function fillParts() {
  const kind = $('#period-kind').value;
  const part = $('#period-part');
  const options = kind === 'Q' ? ['Q1', 'Q2', 'Q3', 'Q4'] : kind === 'H' ? ['H1', 'H2'] : [];
  part.replaceChildren(...options.map((o) => {
    const opt = document.createElement('option');
    opt.value = o;
    opt.textContent = t(`data.period.${o.toLowerCase()}`);
    return opt;
  }));
  $('#period-part-label').hidden = options.length === 0;
  // Default to the last finished quarter / half.
  const now = new Date();
  const month = now.getMonth();
  if (kind === 'Q') part.value = `Q${Math.floor(month / 3) || 4}`;
  if (kind === 'H') part.value = month < 6 ? 'H2' : 'H1';
}

function updateLinks() {
  const code = encodeURIComponent($('#data-project').value);
  const period = periodCode();
  $('#period-code').textContent = period;
  for (const fmt of ['html', 'xlsx', 'csv']) {
    $(`#report-${fmt}`).href = `/api/v1/projects/${code}/reports/${period}.${fmt}`;
  }
  for (const a of document.querySelectorAll('#export-rows a')) {
    // Headers and words for codes in the page's language.
    a.href = `/api/v1/projects/${code}/exports/${a.dataset.what}.${a.dataset.format}?lang=${lang()}`;
  }
  // The plan table: the whole project; its page links each commune's table.
  const status = $('#plan-status').value;
  const q = `lang=${lang()}${status ? `&status=${status}` : ''}`;
  $('#plan-table-html').href = `/api/v1/projects/${code}/plans/table?format=html&${q}`;
  $('#plan-table-xlsx').href = `/api/v1/projects/${code}/plans/table?format=xlsx&${q}`;
  $('#stats').hidden = true;
  $('#stats-empty').hidden = true;
}

function renderExports() {
  const rows = EXPORTS.map(([what, formats]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = t(`data.what.${what}`);
    const td = document.createElement('td');
    for (const format of formats) {
      const a = document.createElement('a');
      a.className = 'button';
      a.download = '';
      a.dataset.what = what;
      a.dataset.format = format;
      a.textContent = t(`data.format.${format}`);
      a.title = `${what}.${format}`;
      td.append(a);
    }
    tr.append(th, td);
    return tr;
  });
  $('#export-rows').replaceChildren(...rows);
}

async function showStats() {
  const code = encodeURIComponent($('#data-project').value);
  try {
    const s = await api(`/api/v1/projects/${code}/stats?period=${encodeURIComponent(periodCode())}`);
    const lines = [
      ['data.stats.households_visited', (n) => n.households_visited],
      ['data.stats.visits', (n) => n.visits],
      ['data.stats.agrees', (n) => n.stances.agrees ?? 0],
      ['data.stats.area_handed_over', (n) => n.area_handed_over_m2, 1],
      ['data.stats.grievances_received', (n) => n.grievances_received],
      ['data.stats.grievances_overdue', (n) => n.grievances_overdue],
      ['data.stats.hot_spots', (n) => n.hot_spots],
    ];
    const body = $('#stats tbody');
    body.replaceChildren(...lines.map(([key, get, digits = 0]) => {
      const tr = document.createElement('tr');
      for (const text of [t(key), fmtNumber(get(s.current.totals), digits), fmtNumber(get(s.previous.totals), digits)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }));
    $('#stats').hidden = false;
    // A period with nothing in it says so in words rather than a table of zeros.
    const empty = lines.every(([, get]) => !Number(get(s.current.totals)));
    $('#stats-empty').hidden = !empty;
    $('#stats-empty').textContent = empty ? t('data.stats.empty', { period: periodCode() }) : '';
    showMessage('');
  } catch (err) {
    showMessage(t('data.error', { message: err.message }));
  }
}

async function main() {
  // Signed out, the shell shows its login form in place of the page.
  const user = await startPage({ namespaces: ['data', 'report'] });
  if (!user) return;
  $('.data-project').hidden = false;
  const projects = await api('/api/v1/projects').catch((err) => {
    showMessage(t('data.error', { message: err.message }));
    return null;
  });
  const items = Array.isArray(projects) ? projects : projects?.items ?? [];
  if (items.length === 0) {
    if (projects) showMessage(t('data.no_projects'));
    return;
  }
  const select = $('#data-project');
  select.replaceChildren(...items.map((p) => {
    const opt = document.createElement('option');
    opt.value = p.code;
    opt.textContent = `${p.code} – ${p.name}`;
    return opt;
  }));
  const now = new Date();
  $('#period-year').value = now.getMonth() < 3 ? now.getFullYear() - 1 : now.getFullYear();
  renderExports();
  fillParts();
  updateLinks();
  select.addEventListener('change', updateLinks);
  $('#period-kind').addEventListener('change', () => { fillParts(); updateLinks(); });
  $('#period-part').addEventListener('change', updateLinks);
  $('#period-year').addEventListener('input', updateLinks);
  $('#stats-show').addEventListener('click', showStats);
  $('#plan-status').addEventListener('change', updateLinks);
  $('#exports').hidden = false;
  $('#reports').hidden = false;
  // The plan table names persons: every signed-in official may read it (a board's token
  // never signs in here).
  $('#plan-table').hidden = user?.user?.role === 'project_board';
}

main();

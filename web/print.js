// The printed report's "Print" button (a script file: the CSP allows no inline handlers).
document.getElementById('print')?.addEventListener('click', () => window.print());

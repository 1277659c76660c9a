//! SVG charts drawn on the server (plotters), shared by the dashboard, the public page and the
//! printable reports (issue 4).

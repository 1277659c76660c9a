//! The legal rules (LEGAL.md) in one table: stage prerequisites and time limits with their
//! articles, grievance deadlines, public holidays and the lunar calendar for Tết (issue 6).

//! What people look at: figures as SVG (`svg`), a searched claim's points in its domain
//! (`domain`) and the reproduction report as HTML and Markdown
//! (`page`), and the claims as JUnit XML for CI (`junit`). It reads claim reports and never runs anything.

pub mod domain;
pub mod junit;
pub mod page;
pub mod svg;

//! What people look at: figures as SVG (`svg`) and the reproduction report as HTML and Markdown
//! (`page`), and the claims as JUnit XML for CI (`junit`). It reads claim reports and never runs anything.

pub mod junit;
pub mod page;
pub mod svg;

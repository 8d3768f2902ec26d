//! What people look at: figures as SVG (`svg`) and the reproduction report as HTML and Markdown
//! (`page`). It reads claim reports and never runs anything.

pub mod page;
pub mod svg;

pub mod locate;

//! dbre policy check.

//! Environments behind one vectorised interface.

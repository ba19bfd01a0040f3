// An unknown target is refused.
// RUN: golf-opt %s -golf-select-libraries=target=tpu -verify-diagnostics

// expected-error @+1 {{golf-select-libraries: unknown target 'tpu' (expected cpu or cuda)}}
module {
}

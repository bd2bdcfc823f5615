/**
 * log -R: Rust symbol names demangled. The names are built here from the v0 grammar (RFC 2603: C crate root with
 * a disambiguator, N nested path with its namespace, M/X impls, I generic arguments, B back-references counted
 * from just after "_R") and the legacy _ZN form; text that only contains "_R" is left alone. On the 5.10 dump
 * (no Rust in that kernel) log -R is plain log, as crash 9 prints it there.
 */
import { describe, expect, it } from 'vitest';
import { demangleLogLine, demangleRust } from '../../src/render/rust-demangle.js';

describe('Rust symbol names', () => {
  it('v0: crate roots, nested paths, impls, generic arguments, closures, back-references', () => {
    expect(demangleRust('_RNvNtCs1b4l_4core9panicking9panic_fmt')).toBe('core::panicking::panic_fmt');
    // "Cs4fqI2P2rA04_": an 11-digit base-62 disambiguator (a 64-bit hash)
    expect(demangleRust('_RNvMNtCs4fqI2P2rA04_6kernel4syncNtB2_3Arc3new')).toBe('<kernel::sync::Arc>::new');
    expect(demangleRust('_RNvXs_NtCs123_6kernel5errorNtB4_5ErrorNtNtCs9_4core3fmt5Debug3fmt')).toBe(
      '<kernel::error::Error as core::fmt::Debug>::fmt',
    );
    expect(demangleRust('_RNvMs0_NtCsjhvqQrjaJ8O_6kernel4syncINtB5_3ArcNtNtB7_5error5ErrorE4drop')).toBe(
      '<kernel::sync::Arc::<kernel::error::Error>>::drop',
    );
    expect(demangleRust('_RINvCs1_4core3maxjEB2_')).toBe('core::max::<usize>');
    expect(demangleRust('_RNCNvCs1_3foo3bar0')).toBe('foo::bar::{closure#0}');
    expect(demangleRust('_RINvCs1_3foo3barARhj4_STlbERNtB2_1xEB2_')).toBe(
      'foo::bar::<[&u8; 4], [(i32, bool)], &foo::x>',
    );
  });

  it('legacy: the names joined by ::, the hash dropped, $..$ escapes decoded', () => {
    expect(demangleRust('_ZN4core9panicking9panic_fmt17h0123456789abcdefE')).toBe('core::panicking::panic_fmt');
    expect(demangleRust('_ZN57_$LT$kernel..error..Error$u20$as$u20$core..fmt..Debug$GT$3fmt17h0123456789abcdefE')).toBe(
      '<kernel::error::Error as core::fmt::Debug>::fmt',
    );
  });

  it('anything that is not wholly one symbol is no name, and a log line without one is unchanged', () => {
    for (const s of ['_R', '_RNvCs1_3foo3barXYZ', '_RNvCs1_3foo9bar', '_RNtB0_3Arc', 'MAX_RT', '_ZN3fooE1']) {
      expect(demangleRust(s), s).toBeUndefined();
    }
    expect(demangleLogLine(' ? _RNvNtCs1b4l_4core9panicking9panic_fmt+0x2f/0x40')).toBe(
      ' ? core::panicking::panic_fmt+0x2f/0x40',
    );
    expect(demangleLogLine('IRQ_RESEND+1 is no symbol')).toBe('IRQ_RESEND+1 is no symbol');
    expect(demangleLogLine('no plus: _RNvCs1_3foo3bar')).toBe('no plus: _RNvCs1_3foo3bar');
  });
});

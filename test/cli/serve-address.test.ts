import { describe, expect, it } from 'vitest';
import { parseServeAddress } from '../../src/cli/firefly-serve.js';
import { UsageError } from '../../src/cli/usage-error.js';

describe('--serve [HOST:]PORT', () => {
  it('defaults the host to loopback', () => {
    expect(parseServeAddress('8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseServeAddress('0')).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('takes a host name, an IPv4 and a bracketed IPv6 address', () => {
    expect(parseServeAddress('localhost:9000')).toEqual({ host: 'localhost', port: 9000 });
    expect(parseServeAddress('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseServeAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
  });

  it('names the bad part', () => {
    expect(() => parseServeAddress('::1:8080')).toThrow(UsageError);
    expect(() => parseServeAddress('host:')).toThrow(/--serve must be PORT or HOST:PORT/);
    expect(() => parseServeAddress('70000')).toThrow(/--serve port must be .*<= 65535/);
    expect(() => parseServeAddress('1.5')).toThrow(/integer/);
  });
});

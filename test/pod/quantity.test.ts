import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuShares, parseCpu, parseMemory } from '../../src/pod/quantity.js';

// Kubernetes quantities as pods use them: cpu in cores or millicores, memory with decimal or binary suffixes.
const quantity = suite('pod/quantity');

quantity('cpu quantities become nano-cores: millicores, fractions, whole cores, plain numbers', () => {
  const cases: Array<[string | number, number]> = [
    ['500m', 500_000_000], ['0.5', 500_000_000], ['.5', 500_000_000], ['2', 2_000_000_000], ['1m', 1_000_000],
    ['250m', 250_000_000], ['1.5', 1_500_000_000], [0.25, 250_000_000], [4, 4_000_000_000], [' 100m ', 100_000_000],
  ];
  for (const [input, nano] of cases) assert.is(parseCpu(input), nano, JSON.stringify(input));
});

quantity('bad cpu quantities are a message naming the value, never a number', () => {
  for (const bad of ['lots', '', '-1', '1.2.3', '500M', '5 00m', '1e3', 'm', '0x10']) {
    const result = parseCpu(bad);
    assert.type(result, 'string', JSON.stringify(bad));
    assert.match(result as string, `"${bad.trim()}"`);
  }
  assert.match(parseCpu('0') as string, 'below the 1m minimum');
  assert.match(parseCpu('0.0001') as string, 'below the 1m minimum');
});

quantity('memory quantities become bytes: binary (Ki, Mi, Gi) and decimal (k, M, G) suffixes, or none', () => {
  const cases: Array<[string | number, number]> = [
    ['64Mi', 64 * 2 ** 20], ['1Gi', 2 ** 30], ['128M', 128e6], ['1G', 1e9], ['500k', 500e3], ['512Ki', 512 * 1024],
    ['1.5Gi', 1.5 * 2 ** 30], ['1048576', 1048576], [33554432, 33554432], ['2Ti', 2 * 2 ** 40],
  ];
  for (const [input, bytes] of cases) assert.is(parseMemory(input), bytes, JSON.stringify(input));
});

quantity('bad memory quantities are a message naming the value', () => {
  for (const bad of ['12XB', 'lots', '', '-1Mi', '64mi', '64 Mi', '1.2.3Gi', 'Mi', '64MB']) {
    const result = parseMemory(bad);
    assert.type(result, 'string', JSON.stringify(bad));
    assert.match(result as string, `"${bad.trim()}"`);
  }
  assert.match(parseMemory('0') as string, 'out of range');
  assert.match(parseMemory('100Ei') as string, 'out of range');
});

quantity('a cpu request becomes CpuShares as the kubelet computes them: 1024 per core, at least 2', () => {
  assert.is(cpuShares(1_000_000_000), 1024);
  assert.is(cpuShares(250_000_000), 256);
  assert.is(cpuShares(2_500_000_000), 2560);
  assert.is(cpuShares(1_000_000), 2);
});

quantity.run();

import { describe, expect, it } from 'vitest';
import {
  isNonBlankString,
  isValidAnnotationKey,
  isValidAnnotationValue,
  isValidApiVersion,
  isValidDnsLabel,
  isValidDnsSubdomain,
  isValidEntityName,
  isValidKindName,
  isValidLabelKey,
  isValidLabelValue,
  isValidNamespace,
  isValidTag,
  isValidUrl,
} from './field-formats.js';

// The cases are those of Backstage's KubernetesValidatorFunctions.test.ts and
// CommonValidatorFunctions.test.ts, so that Plinth accepts and rejects exactly what Backstage does.
const longSubdomain = (last: number) => `${'a'.repeat(63)}.${'a'.repeat(63)}.${'a'.repeat(63)}.${'a'.repeat(last)}`;

describe('field formats (Backstage rules)', () => {
  it.each([
    [7, false],
    [null, false],
    ['', false],
    ['a', true],
    ['AZ09', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['a-b', false],
    ['a_b', false],
    ['a.b', false],
    ['a/a', true],
    ['a/aAb5C', true],
    ['a-b.c/v1', true],
    ['a--b.c/v1', false],
    [`${longSubdomain(61)}/v1`, true],
    [`${longSubdomain(62)}/v1`, false],
    [`a/${'a'.repeat(63)}`, true],
    [`a/${'a'.repeat(64)}`, false],
    ['backstage.io/v1alpha1', true],
    ['scaffolder.backstage.io/v1beta3', true],
  ])('apiVersion %j is valid: %j', (value, valid) => {
    expect(isValidApiVersion(value)).toBe(valid);
  });

  it.each([
    [7, false],
    [null, false],
    ['', false],
    ['a', true],
    ['AZ09', true],
    ['9AZ', false],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['a-b', false],
  ])('kind %j is valid: %j', (value, valid) => {
    expect(isValidKindName(value)).toBe(valid);
  });

  it.each([
    [7, false],
    [null, false],
    ['', false],
    ['a', true],
    ['AZ09', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['a/b', false],
    ['a-b', true],
    ['-a-b', false],
    ['a-b-', false],
    ['a--b', true],
    ['a_b', true],
    ['a.b', true],
    ['a..b', true],
    ['visits-tracking-service', true],
    ['CircleciBuildsDumpV2_avro_gcs', true],
    ['invalid component', false],
  ])('entity name %j is valid: %j', (value, valid) => {
    expect(isValidEntityName(value)).toBe(valid);
  });

  it.each([
    [7, false],
    [null, false],
    ['', false],
    ['a', true],
    ['AZ09', false],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['a/b', false],
    ['a-b', true],
    ['-a-b', false],
    ['a-b-', false],
    ['a--b', false],
    ['a_b', false],
    ['a.b', false],
  ])('namespace %j is valid: %j', (value, valid) => {
    expect(isValidNamespace(value)).toBe(valid);
    expect(isValidDnsLabel(value)).toBe(valid);
  });

  it.each([
    [7, false],
    [null, false],
    ['', false],
    ['a', true],
    ['AZ09', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['a/b', true],
    ['a-b', true],
    ['-a-b', false],
    ['a-b-', false],
    ['a--b', true],
    ['a_b', true],
    ['a.b', true],
    ['a..b', true],
    ['a-b.c/a', true],
    ['a--b.c/a', false],
    ['a/b/c', false],
    ['Example.com/a', false],
    [`${longSubdomain(61)}/a`, true],
    [`${longSubdomain(62)}/a`, false],
    [`a/${'a'.repeat(63)}`, true],
    [`a/${'a'.repeat(64)}`, false],
  ])('label and annotation key %j is valid: %j', (value, valid) => {
    expect(isValidLabelKey(value)).toBe(valid);
    expect(isValidAnnotationKey(value)).toBe(valid);
  });

  it.each([
    [7, false],
    [null, false],
    ['', true],
    ['a', true],
    ['a'.repeat(64), false],
    ['a/b', false],
    ['-a-b', false],
    ['a..b', true],
    ['go1.15.3', true],
  ])('label value %j is valid: %j', (value, valid) => {
    expect(isValidLabelValue(value)).toBe(valid);
  });

  it.each([
    [7, false],
    [null, false],
    ['', true],
    ['/'.repeat(6000), true],
  ])('annotation value %j is valid: %j', (value, valid) => {
    expect(isValidAnnotationValue(value)).toBe(valid);
  });

  it.each([
    ['java', true],
    ['data-service', true],
    ['c++', true],
    ['c#', true],
    ['lang:go', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['Hello World', false],
    ['go 1.15.3', false],
    ['Java', false],
    ['a--b', false],
    ['-a', false],
    ['a_b', false],
    ['', false],
    [7, false],
  ])('tag %j is valid: %j', (value, valid) => {
    expect(isValidTag(value)).toBe(valid);
  });

  it.each([
    [null, false],
    ['', false],
    ['a', true],
    ['a-b', true],
    ['a--b', false],
    ['a_b', false],
    ['adam.bertil.caesar', true],
    ['adam.-bertil.caesar', false],
    ['adam/bertil.caesar', false],
    [`a.${'b'.repeat(63)}.c`, true],
    [`a.${'b'.repeat(64)}.c`, false],
    [longSubdomain(61), true],
    [longSubdomain(62), false],
  ])('DNS subdomain %j is valid: %j', (value, valid) => {
    expect(isValidDnsSubdomain(value)).toBe(valid);
  });

  it.each([
    [null, false],
    ['', false],
    ['abc', false],
    ['   abc', false],
    ['http://foo', true],
    ['https://foo:8080/sub/page/?query=value&another=val', true],
    ['https://foo.com/page#fragment', true],
    ['ftp://ftp.some.domain.com/path', true],
    ['xyz://custom-protocol:4444/path', true],
  ])('URL %j is valid: %j', (value, valid) => {
    expect(isValidUrl(value)).toBe(valid);
  });

  it.each([
    [null, false],
    [7, false],
    ['', false],
    ['    ', false],
    [' abc ', true],
  ])('non-blank string %j: %j', (value, valid) => {
    expect(isNonBlankString(value)).toBe(valid);
  });
});

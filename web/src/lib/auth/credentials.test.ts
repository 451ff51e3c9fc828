import { describe, expect, it } from 'vitest';
import { safeRedirect, validateCredentials } from './credentials';

describe('validateCredentials', () => {
	it('asks for both fields', () => {
		expect(validateCredentials({ email: '', password: '' })).toEqual({
			email: 'Enter your email address.',
			password: 'Enter your password.'
		});
	});

	it('checks the email looks like one', () => {
		expect(validateCredentials({ email: 'dispatch', password: 'x' })).toEqual({
			email: 'Enter an email address like name@example.com.'
		});
		expect(validateCredentials({ email: 'dispatch@h2o.example', password: 'x' })).toEqual({});
	});
});

describe('safeRedirect', () => {
	it('keeps paths of this app and refuses other origins', () => {
		expect(safeRedirect('/jobs?status=TRIM')).toBe('/jobs?status=TRIM');
		expect(safeRedirect('//evil.example/')).toBe('/');
		expect(safeRedirect('/\\evil.example')).toBe('/');
		expect(safeRedirect('https://evil.example/')).toBe('/');
		expect(safeRedirect(null)).toBe('/');
	});
});

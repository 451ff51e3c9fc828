export interface Credentials {
	email: string;
	password: string;
}

/** Checks the sign-in form before anything is sent to the API; messages are keyed by field name. */
export function validateCredentials({ email, password }: Credentials): Record<string, string> {
	const errors: Record<string, string> = {};
	if (!email) errors.email = 'Enter your email address.';
	else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors.email = 'Enter an email address like name@example.com.';
	if (!password) errors.password = 'Enter your password.';
	return errors;
}

/** Where to go after signing in: a path of this app only (never another origin), `/` by default. */
export function safeRedirect(target: string | null): string {
	return target && target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/\\') ? target : '/';
}

import { fireEvent, render, screen } from '@testing-library/svelte';
import { createRawSnippet } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import { FormSubmission } from './form-submission.svelte';
import Form from './Form.svelte';

const fields = createRawSnippet(() => ({
	render: () => '<div><label for="zip">ZIP</label><input id="zip" aria-invalid="true" /></div>'
}));

/** A CombinedError-like answer from the API, as urql gives it. */
const refused = (code: string, message: string, field?: string[]) => ({
	error: { name: 'CombinedError', message, graphQLErrors: [{ message, extensions: { code, ...(field ? { field } : {}) } }] }
});

describe('Form', () => {
	it('says how many fields need a fix and takes the focus to the first one', async () => {
		const submission = new FormSubmission();
		const onsubmit = () => submission.send(async () => refused('BAD_USER_INPUT', 'postalCode: must be a ZIP code', ['input', 'postalCode']) as never);
		render(Form, { submission, onsubmit, submitLabel: 'Create job', label: 'New job', children: fields });
		await fireEvent.submit(screen.getByRole('form', { name: 'New job' }));
		await vi.waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/One field needs a fix/));
		expect(document.activeElement?.id).toBe('zip');
		expect(submission.field('postalCode')).toBe('must be a ZIP code');
	});

	it('shows a conflict with a way to load the latest version', async () => {
		const submission = new FormSubmission();
		const onReload = vi.fn();
		const onsubmit = () => submission.send(async () => refused('CONFLICT', 'this job was changed by someone else') as never);
		render(Form, { submission, onsubmit, onReload, submitLabel: 'Save changes', label: 'Edit job', children: createRawSnippet(() => ({ render: () => '<p>fields</p>' })) });
		await fireEvent.submit(screen.getByRole('form', { name: 'Edit job' }));
		await vi.waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/changed by someone else/));
		await fireEvent.click(screen.getByRole('button', { name: 'Load the latest version' }));
		expect(onReload).toHaveBeenCalledOnce();
		expect(submission.error).toBeNull();
	});

	it('sends once while saving', async () => {
		const submission = new FormSubmission();
		let sent = 0;
		let finish: (v: { data: object }) => void = () => {};
		const first = submission.send(() => (sent++, new Promise<{ data: object }>((resolve) => (finish = resolve))));
		expect(await submission.send(async () => (sent++, { data: {} }))).toBeNull();
		finish({ data: { ok: true } });
		expect(await first).toEqual({ ok: true });
		expect(sent).toBe(1);
	});
});

import { page } from '$app/state';
import type { Action } from '../../../../api/src/auth/permissions.ts';
import type { Viewer } from './session';

/**
 * An action of the API's permission table (`api/src/auth/permissions.ts`, e.g. `job:write`). Only the type
 * comes from there, so a misspelt action fails the type check; which actions a user has is always the
 * API's answer (`viewer.permissions`), never worked out here from the role.
 */
export type { Action };

type Permitted = Pick<Viewer, 'permissions'> | null | undefined;

/** Whether `viewer` may take `action` in the acting tenant. An unknown viewer (the API unreachable) may take none. */
export function allows(viewer: Permitted, action: Action): boolean {
	return viewer?.permissions.includes(action) ?? false;
}

/**
 * Why an action is not offered, in one sentence: `doing` is the action as the user would say it ("edit the
 * job"). Names the role, so the user knows whom to ask.
 */
export function refusal(viewer: Pick<Viewer, 'role'> | null | undefined, doing: string): string {
	const role = viewer?.role ? `your role here is ${viewer.role}` : 'your access here does not allow it';
	return `You can't ${doing}: ${role}. An owner or admin can change that.`;
}

/**
 * Whether the signed-in user may take `action` in the acting tenant, from the session the root layout
 * loaded. Reactive: read it in markup or a `$derived`, and it follows a tenant switch. Only hides what the
 * API would refuse anyway; the API still decides every request.
 */
export function can(action: Action): boolean {
	return allows(page.data.viewer as Permitted, action);
}

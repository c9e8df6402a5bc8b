// Operator disconnect / reconnect of one meter: a confirmation dialog with a reason, then
// POST /v1/meters/{id}/commands. The meter's confirmation arrives later over the live stream.
import { api, ApiError } from './api.js';
import { confirmWithReason } from './dialog.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { toast } from './toast.js';
import type { Meter } from './types.js';

export async function relayCommand(meter: Meter, action: 'disconnect' | 'reconnect'): Promise<void> {
  const reason = await confirmWithReason(
    t(action === 'disconnect' ? 'dialog.disconnectTitle' : 'dialog.reconnectTitle', { meter: meter.id }),
    t(action === 'disconnect' ? 'dialog.disconnectBody' : 'dialog.reconnectBody', { account: meter.accountId }),
    t(action === 'disconnect' ? 'action.disconnect' : 'action.reconnect'),
  );
  if (reason === null) return;
  try {
    await api('POST', `/v1/meters/${encodeURIComponent(meter.id)}/commands`, { action, reason });
    toast(t('command.queued', { action: t(action === 'disconnect' ? 'action.disconnect' : 'action.reconnect'), meter: meter.id }));
  } catch (err) {
    toast(t('error.generic', { message: err instanceof ApiError ? err.message : String(err) }), true);
  }
}

export function relayButtons(meter: Meter): HTMLElement {
  return h('span', { class: 'actions' },
    h('button', { class: 'danger', 'data-test': `disconnect-${meter.id}`, onclick: () => void relayCommand(meter, 'disconnect') }, t('action.disconnect')),
    h('button', { class: 'secondary', 'data-test': `reconnect-${meter.id}`, onclick: () => void relayCommand(meter, 'reconnect') }, t('action.reconnect')));
}

// The confirmation dialog for disconnect / reconnect: says what will happen and asks for a reason
// (written to the audit trail). Resolves with the reason, or null when cancelled.
import { h } from './dom.js';
import { t } from './i18n.js';

export function confirmWithReason(title: string, body: string, confirmLabel: string): Promise<string | null> {
  return new Promise((resolve) => {
    const reason = h('textarea', { id: 'reason', rows: 3, maxlength: 500, 'data-test': 'reason' });
    const problem = h('p', { class: 'problem', role: 'alert' });
    const dialog = h('dialog', { class: 'confirm', 'data-test': 'confirm-dialog' });
    const done = (value: string | null) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    const form = h('form', { method: 'dialog' },
      h('h2', {}, title),
      h('p', {}, body),
      h('label', { for: 'reason' }, t('dialog.reason')),
      reason,
      problem,
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'secondary', onclick: () => done(null) }, t('dialog.cancel')),
        h('button', { type: 'submit', class: 'danger', 'data-test': 'confirm' }, confirmLabel)));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = reason.value.trim();
      if (text.length < 3) {
        problem.textContent = t('dialog.reasonShort');
        return;
      }
      done(text);
    });
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(null);
    });
    dialog.appendChild(form);
    document.body.appendChild(dialog);
    dialog.showModal();
    reason.focus();
  });
}

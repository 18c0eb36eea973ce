import '../zod-jitless.js';
import type { InpaintToHost } from '../../shared/messages.js';
import { vscodeApi } from '../vscode-api.js';
import { InpaintPanel } from './inpaint-panel.js';

/** Entry point of the inpaint webview (bundled to dist/webview/inpaint.js). */
const vscode = vscodeApi<InpaintToHost>();
const panel = new InpaintPanel(document, (message) => vscode.post(message));
window.addEventListener('message', (event: MessageEvent<unknown>) => panel.receive(event.data));
vscode.post({ type: 'ready' });

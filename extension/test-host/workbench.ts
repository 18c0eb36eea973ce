import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';

/**
 * Drives VS Code's web workbench (code-server) the way a person does: the command palette (F1),
 * quick picks, the simple file dialog, notifications, the side bar's views, and the webviews, whose
 * pages live in nested iframes (index.html, then the page itself in an iframe loaded from fake.html).
 */
export class Workbench {
  readonly screenshots: string[] = [];

  constructor(
    readonly page: Page,
    private readonly artifacts: string,
  ) {}

  /** Writes artifacts/NN-name.png of the whole window. */
  async screenshot(name: string): Promise<string> {
    const file = join(this.artifacts, `${String(this.screenshots.length + 1).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    this.screenshots.push(file);
    return file;
  }

  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** Runs a command by its title from the command palette, e.g. "PConv Bench: Run Experiment". */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.quickInput.locator('input.input');
    await input.waitFor();
    await input.fill(`>${title}`);
    await this.pick(title);
  }

  /** Clicks the quick pick row with this label (exact text of its label, e.g. "smoke.yaml"). */
  async pick(label: string, timeoutMs = 10_000): Promise<void> {
    await this.quickInput.waitFor();
    // Only the shown list: the widget keeps other lists' rows in the DOM, hidden.
    const rows = this.quickInput.locator('.monaco-list-row').filter({ visible: true });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const labels = await rows.evaluateAll((els) => els.map((el) => el.querySelector('.label-name')?.textContent ?? ''));
      const index = labels.indexOf(label);
      if (index >= 0) return rows.nth(index).click();
      if (Date.now() > deadline) throw new Error(`no quick pick item ${JSON.stringify(label)}; the list shows ${JSON.stringify(labels)}`);
      await this.page.waitForTimeout(200);
    }
  }

  /**
   * Answers VS Code's own open/save dialog (the "simple" one a browser gets: a quick input with
   * a path): `path` replaces the suggested one, or the suggestion is accepted as it is.
   */
  async answerFileDialog(path?: string): Promise<string> {
    const input = this.quickInput.locator('input.input');
    await input.waitFor();
    // The dialog writes its starting folder into the box once it has read it; typing before
    // that gets the two joined.
    await this.page.waitForFunction(() => document.querySelector<HTMLInputElement>('.quick-input-widget input.input')?.value.startsWith('/'));
    await this.page.waitForTimeout(500);
    if (path !== undefined) {
      for (let attempt = 0; (await input.inputValue()) !== path; attempt++) {
        if (attempt === 5) throw new Error(`the file dialog does not take ${path}: it shows ${await input.inputValue()}`);
        await input.fill(path);
        await this.page.waitForTimeout(300);
      }
    }
    const value = await input.inputValue();
    await input.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden' });
    return value;
  }

  /**
   * Closes an editor by its tab's close button. A webview left as the active editor takes the
   * focus back when a quick pick closes, and the next quick pick (a command's own) then closes on
   * that blur: the steps close their panels when done.
   */
  async closeEditor(title: string): Promise<void> {
    const tab = this.page.locator('.tabs-container .tab').filter({ hasText: title });
    await tab.hover();
    await tab.locator('.tab-actions .action-label').click();
    await tab.waitFor({ state: 'detached' });
  }

  /** A notification toast whose text matches. */
  toast(text: RegExp): Locator {
    return this.page.locator('.notification-toast').filter({ hasText: text });
  }

  /**
   * Waits for the notification that says how a CLI command of the extension ended ("PConv Bench:
   * run smoke.yaml: finished in 7.1 s", "... interrupted (...)", "... failed: ...", "... pconv-bench
   * was killed ...") and returns its text: a failure shows at once, not as a timeout.
   */
  async outcome(title: string, timeoutMs: number): Promise<string> {
    const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const toast = this.toast(new RegExp(`${escaped}: (finished in|interrupted|failed|pconv-bench (was killed|exited)|could not start)`)).first();
    await toast.waitFor({ timeout: timeoutMs });
    return (await toast.locator('.notification-list-item-message').textContent()) ?? '';
  }

  get sideBar(): Locator {
    return this.page.locator('[id="workbench.parts.sidebar"]');
  }

  /** The row of one run in the Runs view: the tree row whose label is `label`. */
  runRow(label: string): Locator {
    return this.sideBar.locator('.monaco-list-row').filter({
      has: this.page.locator('.custom-view-tree-node-item .label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }),
    });
  }

  /**
   * Waits until the description of the run's row (its status first: "finished · PSNR ...",
   * "interrupted in ...") matches; returns the description and the row's aria-label (the tooltip).
   */
  async waitForRun(label: string, description: RegExp, timeoutMs = 30_000): Promise<string> {
    const row = this.runRow(label).first();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = await row
        .evaluate(
          (el) => ({ description: el.querySelector('.label-description')?.textContent ?? '', ariaLabel: el.getAttribute('aria-label') ?? '' }),
          undefined,
          {
            timeout: 1000,
          },
        )
        .catch(() => ({ description: '(no row)', ariaLabel: '' }));
      if (description.test(seen.description)) return `${seen.description}\n${seen.ariaLabel}`;
      if (Date.now() > deadline)
        throw new Error(`the Runs view's row ${label} does not match ${description} within ${timeoutMs / 1000} s: ${JSON.stringify(seen.description)}`);
      await this.page.waitForTimeout(250);
    }
  }

  /** A view title action of the side bar (the visible one: the pane header repeats them). */
  viewAction(label: string): Locator {
    return this.sideBar.locator(`.action-label[aria-label="${label}"]`).filter({ visible: true }).first();
  }

  /**
   * The frame of a webview's page that holds `selector`: VS Code renders each webview in an iframe
   * of pre/index.html whose inner iframe (loaded as pre/fake.html, then written) is the page.
   */
  async webviewFrame(selector: string, timeoutMs = 30_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const frame of this.page.frames()) {
        if (!frame.url().includes('/webview/browser/pre/')) continue;
        if (
          await frame
            .locator(selector)
            .count()
            .catch(() => 0)
        )
          return frame;
      }
      if (Date.now() > deadline) throw new Error(`no webview page with ${selector} within ${timeoutMs / 1000} s`);
      await this.page.waitForTimeout(250);
    }
  }
}

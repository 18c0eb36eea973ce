import { describe, expect, test } from 'vitest';
import { borderMarginRule, PAPER_BORDER_MARGIN, paperBorderMargin } from '../../../src/core/masks/border-margin.js';

describe("the paper's border margin", () => {
  test('is 50 px at 512 px and scales with the image size, rounded, at least 1 px', () => {
    expect(PAPER_BORDER_MARGIN).toEqual({ px: 50, imageSize: 512 });
    expect([512, 256, 128, 64, 32, 16, 8, 4, 1024].map(paperBorderMargin)).toEqual([50, 25, 13, 6, 3, 2, 1, 1, 100]);
  });

  test('says where a margin stands against the rule', () => {
    expect(borderMarginRule(50, 512)).toBe("the paper's 50 px at 512 px");
    expect(borderMarginRule(6, 64)).toBe("the paper's 50 px at 512 px scaled to 64 px: max(1, round(50 x 64 / 512)) = 6");
    expect(borderMarginRule(8, 512)).toBe("set in the config; the paper's rule (50 px at 512 px, scaled) gives 50 px at 512 px");
  });
});

// What the viewer's controls say once each can be reached and worked from the keyboard (issue 30:
// the a11y findings mended). Chinese in keyboard-access.zh-CN.ts.

export const keyboardAccessEn = {
  /** The button that turns an event shown as a tree back into its pretty-printed text. */
  eventAsText: 'Back to text',
  eventAsTextTitle: 'Shows the event as pretty-printed text again',
};

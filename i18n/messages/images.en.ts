// Images in a model call (viewer/app/components/ImageThumb.tsx, ModelCallView.tsx) and the
// list's mark on a call that returned images (ExchangeList.tsx).

export const imagesEn = {
  sent_one: '{{count}} image sent',
  sent_other: '{{count}} images sent',
  returned_one: '{{count}} image returned',
  returned_other: '{{count}} images returned',
  listMark_one: 'returned {{count}} image',
  listMark_other: 'returned {{count}} images',
  holder: {
    message: 'message {{index}}',
    input: 'input item {{index}}',
    content: 'content {{index}}',
    choice: 'choice {{index}}',
    candidate: 'candidate {{index}}',
    output: 'output item {{index}}',
    image: 'image {{index}}',
  },
  part: 'part {{part}}',
  event: 'event #{{seq}}',
  message: 'WebSocket message #{{seq}}',
  partial: 'partial image {{index}}',
  thought: 'draft, drawn while thinking',
  declared: 'declared as <type/>',
  unknownType: 'not a picture type the viewer shows (PNG, JPEG, GIF, WebP, BMP, AVIF): download it to look at it',
  open: 'Open full size: {{type}}, {{size}}',
  alt: '{{type}} image, {{size}}',
  close: 'Close',
  download: 'Download',
  decoding: 'decoding…',
  missing:
    'The image data could not be read from what was stored ({{why}}): a body cut when it was stored holds no whole image.',
  why: {
    notText: 'not stored as text',
    notJson: 'not whole JSON',
    notThere: 'nothing where the call said it was',
    notBase64: 'not base64',
  },
  link: 'Open the image at the provider',
  linkNote:
    'returned as a link: wirelog does not fetch it, and OpenAI keeps such links for 60 minutes after the image is made',
  revisedPrompt: 'drawn from the revised prompt: <prompt/>',
  readFailed: 'The image could not be read from wirelog: <error/>. Is wirelog still running?',
};

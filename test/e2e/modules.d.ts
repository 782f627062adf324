declare module '@roamhq/wrtc';

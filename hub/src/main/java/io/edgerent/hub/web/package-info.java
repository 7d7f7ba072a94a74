/**
 * The hub's web pages: the market, renting and paying from a browser, the owner's dashboard, sign-up and sign-in.
 */
package io.edgerent.hub.web;

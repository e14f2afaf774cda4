import { render } from 'preact';
import { App } from './app';
import { stampStyleNonces } from './style-nonce';
import './styles.css';

stampStyleNonces(document);
render(<App />, document.getElementById('app')!);
